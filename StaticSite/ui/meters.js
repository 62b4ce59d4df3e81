// The live meter panel: per delivery mode, requests in the last minute, messages received and their average delay,
// and the chart of requests per minute.
import { renderChart } from './view.js';

export function renderMeters({ meters, modes, t, lang, byTestId, chart }) {
  const snapshots = Object.fromEntries(modes.map((m) => [m, meters[m].snapshot()]));
  for (const m of modes) {
    const { requestsLastMinute, messagesReceived, averageDelayMs } = snapshots[m];
    byTestId(`meter-${m}-requests`).textContent = String(requestsLastMinute);
    byTestId(`meter-${m}-received`).textContent = String(messagesReceived);
    byTestId(`meter-${m}-delay`).textContent =
      averageDelayMs === null ? '—' : t('milliseconds', { value: averageDelayMs.toLocaleString(lang) });
  }
  const perMinute = Object.fromEntries(modes.map((m) => [m, snapshots[m].perMinute]));
  const description = [
    t('chartOrder'),
    ...modes.map((m) => t('chartSeries', { mode: t(`short.${m}`), counts: perMinute[m].join(', ') })),
  ].join(' ');
  renderChart(chart, perMinute, description);
}
