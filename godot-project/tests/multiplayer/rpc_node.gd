# The node every multiplayer test root holds at the same path ("Game"), so that RPCs
# find it on every peer. It records each call with the sender's ID.
extends Node

var calls: Array = []


@rpc("any_peer", "call_local", "reliable")
func say(text: String) -> void:
	calls.append([multiplayer.get_remote_sender_id(), text])


@rpc("any_peer", "call_remote", "reliable")
func count(n: int) -> void:
	calls.append([multiplayer.get_remote_sender_id(), n])
