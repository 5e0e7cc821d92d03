"""`chanjiao preview`: a local page that follows the content as it is edited (server, watcher, rebuilds)."""
