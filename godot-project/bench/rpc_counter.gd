# The node every benchmark multiplayer branch holds at the same path ("Bench"), so
# that RPCs find it on every peer. It only counts what arrives.
extends Node

var received := 0


@rpc("any_peer", "call_remote", "reliable")
func hit(_n: int) -> void:
	received += 1
