import type { AlertPreview } from '../../../server/alerts/api-types.js';
import { formatDateTime } from '../shell/format.js';

const WIDTH = 600;
const HEIGHT = 80;

/** The window's count at each evaluation over the day, the threshold as a dashed line, firing periods shaded. */
export function PreviewChart({ preview, threshold }: { preview: AlertPreview; threshold: number }) {
  const points = preview.counts;
  if (points.length === 0) return null;
  const from = Date.parse(preview.from);
  const span = Math.max(1, Date.parse(preview.to) - from);
  const max = Math.max(1, Number.isFinite(threshold) ? threshold * 1.2 : 1, ...points.map((p) => p.count));
  const x = (iso: string) => ((Date.parse(iso) - from) / span) * WIDTH;
  const y = (count: number) => HEIGHT - 1 - (count / max) * (HEIGHT - 4);
  const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.count).toFixed(1)}`).join(' ');
  const peak = Math.max(...points.map((p) => p.count));
  return (
    <figure className="preview-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Count per evaluation from ${formatDateTime(preview.from)} to ${formatDateTime(preview.to)}: highest ${peak}, threshold ${threshold}`}
      >
        {preview.periods.map((period) => (
          <rect
            key={period.start}
            className="firing"
            x={x(period.start)}
            y={0}
            width={Math.max(1, (period.end ? x(period.end) : WIDTH) - x(period.start))}
            height={HEIGHT}
          />
        ))}
        {Number.isFinite(threshold) && (
          <line
            className="threshold"
            x1={0}
            x2={WIDTH}
            y1={y(threshold)}
            y2={y(threshold)}
            vectorEffect="non-scaling-stroke"
          />
        )}
        <polyline points={line} fill="none" vectorEffect="non-scaling-stroke" />
      </svg>
      <div className="axis">
        <span>{formatDateTime(preview.from)}</span>
        <span>highest {peak.toLocaleString()}</span>
        <span>{formatDateTime(preview.to)}</span>
      </div>
    </figure>
  );
}
