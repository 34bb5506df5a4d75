// Host tools (being written): openHostTools(ctx) renders the host panel for a room.
export function openHostTools(_ctx) {}
