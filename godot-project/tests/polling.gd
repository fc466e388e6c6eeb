# Waiting on peers: for the test runner's cases (test_case.gd's poll_until) and for the
# scripts that run as the SceneTree themselves (the proxy and load-balancer harnesses).
extends RefCounted


## Polls `peers` every frame of `tree` until `condition` holds or `timeout_s` passes;
## whether it held.
static func until(tree: SceneTree, peers: Array, condition: Callable, timeout_s: float) -> bool:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000)
	while true:
		for p in peers:
			if p != null:
				p.poll()
		if condition.call():
			return true
		if Time.get_ticks_msec() > deadline:
			return false
		await tree.process_frame
	return false
