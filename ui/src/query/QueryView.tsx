import { useEffect, useMemo } from 'react';
import type { ApiError } from '../api/client.js';
import type { Histogram as HistogramData, LogPage, StoredLogEntry } from '../api/types.js';
import { useApiResource } from '../api/useApiResource.js';
import { usePagedResource } from '../api/usePagedResource.js';
import { FILTER_PARAMETERS } from '../filters/filters.js';
import { ErrorBanner } from '../shell/ErrorBanner.js';
import { Histogram } from './Histogram.js';
import { LogTable } from './LogTable.js';

interface Props {
  /** The API parameters of the current filters. */
  params: URLSearchParams;
  onOpenDetails: (entry: StoredLogEntry) => void;
  /** Reports the API's complaint so that the filters can show it next to the field. */
  onFilterError: (error: ApiError | null) => void;
}

const PAGE_SIZE = '100';
const HISTOGRAM_BUCKETS = '60';
const pickEntries = (page: LogPage) => page.entries;

export function QueryView({ params, onOpenDetails, onFilterError }: Props) {
  const pageParams = useMemo(() => new URLSearchParams([...params, ['limit', PAGE_SIZE]]), [params]);
  const histogramParams = useMemo(() => new URLSearchParams([...params, ['buckets', HISTOGRAM_BUCKETS]]), [params]);
  const results = usePagedResource<LogPage, StoredLogEntry>('', pageParams, pickEntries);
  const histogram = useApiResource<HistogramData>('/histogram', histogramParams);

  const error = results.error ?? histogram.error;
  const filterError = error?.parameter && FILTER_PARAMETERS.includes(error.parameter) ? error : null;
  useEffect(() => onFilterError(filterError), [filterError, onFilterError]);

  return (
    <section className="query" aria-label="Query results" aria-busy={results.loading}>
      <ErrorBanner message={error && !filterError ? error.message : null} />
      {filterError && <ErrorBanner message={`Check the filters: ${filterError.message}`} />}
      {histogram.data && <Histogram data={histogram.data} />}
      {!error && (
        <LogTable
          entries={results.items}
          loading={results.loading}
          hasMore={results.hasMore}
          onLoadMore={results.loadMore}
          onOpen={onOpenDetails}
        />
      )}
    </section>
  );
}
