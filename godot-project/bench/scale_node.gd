# The node the scale benchmark's RPCs go through, at the same path ("Scale" under the
# multiplayer root) in bench/scale_server.gd and bench/scale_capture.gd, so that the
# packets captured in one are the packets the other expects. It only counts.
extends Node

## Calls of report() that arrived (clients -> server).
var calls := 0
## Calls of news() that arrived (server -> clients).
var news_count := 0


@rpc("any_peer", "call_remote", "reliable")
func report() -> void:
	calls += 1


@rpc("authority", "call_remote", "reliable")
func news() -> void:
	news_count += 1
