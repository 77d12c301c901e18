/**
 * The operator's hand on a virtual clock (dev mode only: the demo, tests). The composition root
 * gives the API one only when MODE=dev and its clock is movable; otherwise `POST /v1/ops/clock`
 * answers `clock_not_movable`.
 */
export interface ClockControl {
  /** Moves the clock forward to `instant` and fires every deadline now due; how many fired. */
  moveTo(instant: Date): Promise<number>;
}
