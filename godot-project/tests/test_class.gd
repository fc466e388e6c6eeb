# The class exists, is a PacketPeer, and is created and freed cleanly.
extends "res://tests/test_case.gd"


func test_class_is_registered() -> void:
	check(ClassDB.class_exists("RustWebSocketPeer"), "ClassDB knows RustWebSocketPeer")
	check_eq(ClassDB.get_parent_class("RustWebSocketPeer"), "PacketPeerExtension", "parent class")
	check(ClassDB.can_instantiate("RustWebSocketPeer"), "instantiable")


func test_instance_is_a_packet_peer() -> void:
	var peer = RustWebSocketPeer.new()
	check(peer is PacketPeer, "is PacketPeer")
	check(peer is RefCounted, "is RefCounted")
	check_eq(peer.get_class(), "RustWebSocketPeer", "get_class()")
	var typed: PacketPeer = peer
	check_eq(typed.get_available_packet_count(), 0, "no packets before connecting")


func test_instances_free_cleanly() -> void:
	var weak: WeakRef
	if true:
		var peer = RustWebSocketPeer.new()
		weak = weakref(peer)
		check(weak.get_ref() != null, "alive while referenced")
	check(weak.get_ref() == null, "freed when the last reference goes")
	for i in 1000:
		RustWebSocketPeer.new()
