import { LOG_LEVELS, type Histogram as HistogramData } from '../api/types.js';
import { formatDateTime } from '../shell/format.js';

const WIDTH = 1000;
const HEIGHT = 100;
/** Bottom to top: errors first so that they stay visible under a tall stack of info. */
const STACK_ORDER = [...LOG_LEVELS].reverse();

/** Entries per time bucket, as bars stacked by level. */
export function Histogram({ data }: { data: HistogramData }) {
  const { buckets, bucketSeconds } = data;
  if (buckets.length === 0) return null;
  const totals = buckets.map((b) => LOG_LEVELS.reduce((sum, level) => sum + (b.counts[level] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const barWidth = WIDTH / buckets.length;
  const end = new Date(new Date(buckets[buckets.length - 1].start).getTime() + bucketSeconds * 1000).toISOString();
  const total = totals.reduce((a, b) => a + b, 0);

  return (
    <figure className="histogram" data-testid="histogram">
      <figcaption>
        <span>
          {total.toLocaleString()} {total === 1 ? 'entry' : 'entries'}
        </span>
        <span className="legend">
          {LOG_LEVELS.map((level) => (
            <span key={level} className={`legend-item level-${level}`}>
              <span className="swatch" aria-hidden="true" />
              {level}
            </span>
          ))}
        </span>
        <span className="max">
          max {max.toLocaleString()} per{' '}
          {bucketSeconds >= 3600
            ? `${bucketSeconds / 3600} h`
            : bucketSeconds >= 60
              ? `${bucketSeconds / 60} min`
              : `${bucketSeconds} s`}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Entries over time: ${total} in ${buckets.length} buckets`}
      >
        {buckets.map((bucket, i) => {
          let y = HEIGHT;
          return (
            <g key={bucket.start}>
              <title>
                {formatDateTime(bucket.start)}: {LOG_LEVELS.map((l) => `${bucket.counts[l] ?? 0} ${l}`).join(', ')}
              </title>
              <rect x={i * barWidth} y={0} width={barWidth} height={HEIGHT} className="hover-target" />
              {STACK_ORDER.map((level) => {
                const height = ((bucket.counts[level] ?? 0) / max) * HEIGHT;
                if (height === 0) return null;
                y -= height;
                return (
                  <rect
                    key={level}
                    x={i * barWidth + barWidth * 0.1}
                    y={y}
                    width={barWidth * 0.8}
                    height={height}
                    className={`bar level-${level}`}
                  />
                );
              })}
            </g>
          );
        })}
      </svg>
      <div className="axis">
        <span>{formatDateTime(buckets[0].start).slice(0, 16)}</span>
        <span>{formatDateTime(end).slice(0, 16)}</span>
      </div>
    </figure>
  );
}
