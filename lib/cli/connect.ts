// Connecting a program to the cluster from its connection options (both asbackup and
// asrestore): host list, default port, alternate addresses, timeouts. Login and TLS hook
// in here.
import { Cluster } from '../cluster/cluster.js';
import { parseHostList } from './parse-values.js';
import type { ConnectionValues } from './connection-options.js';
import type { Logger } from './log.js';

/** connectCluster: seeds, discovers and tends the cluster the options name. */
export async function connectCluster(o: ConnectionValues, log: Logger): Promise<Cluster> {
  const hosts = parseHostList(o.host, o.port);
  const cluster = await Cluster.connect({
    hosts,
    port: o.port,
    useServicesAlternate: o.serviceAlternate,
    log: log.verbose,
  });
  log.verbose(`Connected to ${cluster.nodes.length} node(s)`);
  return cluster;
}
