// Repository: networks (partner structures whose bulletin or form brought people in).
import type { Db } from './client.js';

export interface NetworkRow {
  id: number;
  slug: string;
  name: string;
  created_at: Date;
}

export interface NetworkStats extends NetworkRow {
  /** Everyone ever tagged with the network (erased people stay counted, anonymously). */
  brought: number;
  active: number;
  /** Distinct people of the network in at least one introduction. */
  proposed: number;
  /** Distinct people of the network in at least one introduction both sides accepted. */
  met: number;
}

export const NETWORK_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Creates the network, or renames it when the slug exists; returns the row and whether it is new. */
export async function upsertNetwork(db: Db, slug: string, name: string): Promise<{ network: NetworkRow; created: boolean }> {
  const rows = await db<(NetworkRow & { created: boolean })[]>`
    insert into networks (slug, name) values (${slug}, ${name})
    on conflict (slug) do update set name = excluded.name
    returning *, (xmax = 0) as created`;
  const { created, ...network } = rows[0]!;
  return { network, created };
}

export async function getNetworkBySlug(db: Db, slug: string): Promise<NetworkRow | undefined> {
  const rows = await db<NetworkRow[]>`select * from networks where slug = ${slug}`;
  return rows[0];
}

export async function listNetworkStats(db: Db): Promise<NetworkStats[]> {
  return db<NetworkStats[]>`
    select n.*,
      (select count(*)::int from people p where p.network_id = n.id) as brought,
      (select count(*)::int from people p where p.network_id = n.id and p.status = 'active') as active,
      (select count(distinct p.id)::int from people p
         join introductions i on i.person_a = p.id or i.person_b = p.id
        where p.network_id = n.id) as proposed,
      (select count(distinct p.id)::int from people p
         join introductions i on (i.person_a = p.id or i.person_b = p.id) and i.status = 'accepted'
        where p.network_id = n.id) as met
    from networks n
    order by n.name, n.id`;
}
