// The cluster DNS room of the agent: records from the ServiceCatalog, the
// server (UDP + TCP), the forwarder and its cache, what pods get (resolv.conf,
// service environment variables).
export { ClusterDns, DEFAULT_CLUSTER_DOMAIN, DNS_PORT, type ClusterDnsOptions } from './cluster-dns.js';
export { ClusterRecords, DEFAULT_RECORD_TTL } from './cluster-records.js';
export { parseClusterDomain } from './dns-names.js';
export { hostUpstreams, nameserversOf, parseUpstreams } from './upstreams.js';
export type { Upstream } from './upstream-exchange.js';
