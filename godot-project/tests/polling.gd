# Waiting on peers in scripts that run as the SceneTree themselves (the proxy and
# load-balancer harnesses), as test_case.gd's poll_until does for the test runner.
extends RefCounted


## Polls `peers` every frame of `tree` until `condition` holds or `timeout_s` passes;
## whether it held.
static func until(tree: SceneTree, peers: Array, condition: Callable, timeout_s: float) -> bool:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000)
	while true:
		for p in peers:
			p.poll()
		if condition.call():
			return true
		if Time.get_ticks_msec() > deadline:
			return false
		await tree.process_frame
	return false
