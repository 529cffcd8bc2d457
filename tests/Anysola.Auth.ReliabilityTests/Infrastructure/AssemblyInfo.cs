// The fault matrix mostly waits on timeouts and Retry-After; a few classes at once keep the suite short.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
