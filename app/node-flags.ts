/**
 * Node flags the service runs with (`npm start`, the Dockerfile, and the simulators' service
 * process). A request allocates many short-lived objects (parsed bodies, events, replies): a
 * 64 MiB young generation lets most of them die there instead of being copied and promoted
 * (bench:e2e food_month_wall_s; the figure is in docs/SIMULATION.md, "Figures behind the code's choices").
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
