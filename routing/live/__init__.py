"""Live updates: small typed events pushed to browsers over Channels, one group per cluster.

Writers (the snapshot writer, the watcher, status changes) call `publish`, which hands the event
to one background thread per process that owns the channel layer; the consumer
(routing.live.consumers) forwards each event of its clusters' groups to the socket as JSON.
"""
