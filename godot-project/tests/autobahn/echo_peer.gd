# What the Autobahn echo client and echo server share: an engine that does not
# pace round trips, peers sized for Autobahn's largest messages, and the echo.
extends SceneTree

const BUFFER_SIZE := 1 << 26  # 64 MiB: Autobahn 9.* sends messages of up to 16 MiB
const MAX_QUEUED_PACKETS := 1 << 16
## Polls per frame at most; a frame ends early once a poll brings nothing new.
const POLLS_PER_FRAME := 32

var errors := 0


func _initialize() -> void:
	# Headless Godot sleeps low_processor_usage_mode_sleep_usec every frame (it cannot
	# draw), which would pace every round trip; Autobahn 9.7/9.8 make 1000 of them per case.
	OS.low_processor_usage_mode = false
	OS.low_processor_usage_mode_sleep_usec = 0
	Engine.max_fps = 0
	_main.call_deferred()


## The run itself (each script defines it).
func _main() -> void:
	pass


func _new_peer() -> RustWebSocketPeer:
	var peer := RustWebSocketPeer.new()
	peer.inbound_buffer_size = BUFFER_SIZE
	peer.outbound_buffer_size = BUFFER_SIZE
	peer.max_queued_packets = MAX_QUEUED_PACKETS
	# permessage-deflate (Autobahn 12.* and 13.*): offered as a client, accepted as a server.
	peer.compression_enabled = true
	return peer


## Sends `packet` back with the type it arrived with (call right after get_packet()).
func _echo(peer: RustWebSocketPeer, packet: PackedByteArray, context: String) -> void:
	# Not put_packet(): the engine's PacketPeer.put_packet() drops empty
	# packets before they reach the peer (Autobahn 1.2.1 sends one).
	var mode := RustWebSocketPeer.WRITE_MODE_TEXT if peer.was_string_packet() else RustWebSocketPeer.WRITE_MODE_BINARY
	var err := peer.send(packet, mode)
	# FAILED: the connection ended (the peer closed or failed it) while
	# messages it had sent before were still unread: nothing to echo to.
	if err != OK and err != FAILED:
		_error("%ssend of %d bytes failed: %s" % [context, packet.size(), error_string(err)])


func _error(what: String) -> void:
	errors += 1
	printerr("%s: ERROR: %s" % [get_script().resource_path.get_file().get_basename(), what])
