import { statfsSync } from "node:fs";
import { NotReady } from "../adapters/http/ops-routes.ts";

/**
 * /readyz's `disk` check (issue 44, item 5: a full data disk left /readyz ok while every command
 * failed to store). The data folder's filesystem must have room for the database's next writes,
 * its WAL, and a bundle: under DISK_FLOOR_BYTES free (what an unprivileged process may use,
 * `bavail`, so root's reserved blocks do not count), it is reported `full`. The answer says only
 * that; the folder and the figures go to the log.
 */
export const DISK_FLOOR_BYTES = 16 * 1024 * 1024;

export function checkDataDisk(dataDir: string, floorBytes = DISK_FLOOR_BYTES): void {
  const fs = statfsSync(dataDir);
  const free = fs.bavail * fs.bsize;
  if (free >= floorBytes) return;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  throw new NotReady(
    "full",
    `the data disk has under ${mb(floorBytes)} free: commands cannot be stored; free space on it`,
    `the data disk holding ${dataDir} has ${mb(free)} free, under the floor of ${mb(floorBytes)}`,
  );
}
