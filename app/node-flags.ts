/**
 * Node flags the service runs with (`npm start`, the Dockerfile, and the simulators' service
 * process). A request allocates many short-lived objects (parsed bodies, events, replies): a
 * 64 MiB young generation lets most of them die there instead of being copied and promoted. On
 * the 20,000-family month it took GC from ≈ 15 % of the service's CPU and the wall time from
 * ≈ 135 s to ≈ 128 s (docs/SIMULATION.md).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
