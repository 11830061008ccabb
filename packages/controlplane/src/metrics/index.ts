export { cpuQuantity, memoryQuantity, ResourceMetricsStore, windowOf, type NodeScrape, type PodScrape, type UsageInput } from './resource-metrics-store.js';
export { DEFAULT_METRICS_RESOLUTION_MS, ResourceMetricsScraper, scrapeOf, type ResourceMetricsScraperOptions } from './resource-metrics-scraper.js';
