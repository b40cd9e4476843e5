import { describe, expect, it } from "vitest";
import { clusterOptionsFromEnv } from "./cluster-config";

const PG = "postgres://db.internal/offpeak";

describe("cluster settings from the environment", () => {
  it("is off unless OFFPEAK_CLUSTER says on", () => {
    expect(clusterOptionsFromEnv({}, PG)).toBeUndefined();
    expect(clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "0" }, PG)).toBeUndefined();
    expect(clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "false" }, undefined)).toBeUndefined();
  });

  it("reads the instance id and the heartbeat", () => {
    expect(clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "1" }, PG)).toEqual({});
    expect(clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "yes", OFFPEAK_INSTANCE_ID: "eu_west_1", OFFPEAK_CLUSTER_HEARTBEAT_MS: "1500" }, "postgresql://x/y")).toEqual({
      instanceId: "eu_west_1",
      heartbeatMs: 1500,
    });
  });

  it("refuses bad values, naming the variable", () => {
    expect(() => clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "maybe" }, PG)).toThrow(/OFFPEAK_CLUSTER must be 1 or 0/);
    expect(() => clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "1", OFFPEAK_INSTANCE_ID: "Bad-Id" }, PG)).toThrow(/OFFPEAK_INSTANCE_ID/);
    expect(() => clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "1", OFFPEAK_CLUSTER_HEARTBEAT_MS: "10" }, PG)).toThrow(/OFFPEAK_CLUSTER_HEARTBEAT_MS/);
    expect(() => clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "1", OFFPEAK_CLUSTER_HEARTBEAT_MS: "2s" }, PG)).toThrow(/OFFPEAK_CLUSTER_HEARTBEAT_MS/);
  });

  it("refuses cluster mode without a PostgreSQL database", () => {
    expect(() => clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "1" }, undefined)).toThrow(/needs --db postgres/);
    expect(() => clusterOptionsFromEnv({ OFFPEAK_CLUSTER: "1" }, "/var/lib/offpeak")).toThrow(/needs --db postgres/);
  });
});
