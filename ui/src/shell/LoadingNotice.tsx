/** Stands where results will be while the first page loads, so loading never reads as "no results". */
export function LoadingNotice({ what }: { what: string }) {
  return (
    <p className="empty" role="status" data-testid="loading">
      Loading {what}…
    </p>
  );
}
