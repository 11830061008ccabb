// (Shared by ctl and the REST API's tables.)
// kubectl's short ages (apimachinery's HumanDuration): 45s, 5m10s, 3h20m, 4d,
// 2y30d, 9y; a time more than a second in the future (clock skew) is <invalid>.
export function formatAge(since: string | undefined, now: Date = new Date()): string {
  if (!since) return '<unknown>';
  const seconds = Math.trunc((now.getTime() - Date.parse(since)) / 1000);
  if (Number.isNaN(seconds) || seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const years = Math.floor(days / 365);
  if (seconds < 120) return `${seconds}s`;
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (hours < 3) return `${minutes}m`;
  if (hours < 8) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
  if (days < 2) return `${hours}h`;
  if (days < 8) return `${days}d${hours % 24 ? `${hours % 24}h` : ''}`;
  if (years < 2) return `${days}d`;
  if (years < 8) return `${years}y${days % 365 ? `${days % 365}d` : ''}`;
  return `${years}y`;
}
