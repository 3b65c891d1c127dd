namespace Anvil.Scheduler.Queue;

internal enum QueueState { Active, Backoff, Unschedulable, InFlight }
