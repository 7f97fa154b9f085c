/** Junction's own workflows and activities run here unless configuration names another queue. */
export const DEFAULT_TASK_QUEUE = 'junction';
