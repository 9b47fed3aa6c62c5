export function ErrorBanner({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p className="error-banner" role="alert" data-testid="error-banner">
      {message}
    </p>
  );
}
