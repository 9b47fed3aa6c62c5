const WIDTH = 100;
const HEIGHT = 24;

/** A small line of counts over time. */
export function Sparkline({ points, label }: { points: { start: string; count: number }[]; label: string }) {
  if (points.length === 0) return null;
  const max = Math.max(1, ...points.map((p) => p.count));
  const step = points.length > 1 ? WIDTH / (points.length - 1) : 0;
  const coordinates = points
    .map((p, i) => `${(i * step).toFixed(1)},${(HEIGHT - 1 - (p.count / max) * (HEIGHT - 2)).toFixed(1)}`)
    .join(' ');
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
    >
      <polyline
        points={points.length > 1 ? coordinates : `0,${HEIGHT / 2} ${WIDTH},${HEIGHT / 2}`}
        fill="none"
        vectorEffect="non-scaling-stroke"
      />
    </svg>
  );
}
