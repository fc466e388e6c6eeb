# The soak in the test command: 100 pairs x 200 messages in one process, with
# links aborted, dropped and closed cleanly mid-stream (scripts/soak runs the
# large one). Nothing lost, reordered or corrupt, the right outcome on every
# faulted link, and no error or warning line: a link that ends without a Close frame
# is the end of an open connection, which logs nothing.
extends "res://tests/test_case.gd"

const Soak := preload("res://tests/soak.gd")
const ErrorLog := preload("res://tests/error_log.gd")


func test_soak_with_faults() -> void:
	var soak := Soak.new(100, 200, 16)
	var errors := ErrorLog.new()
	errors.install()
	if await soak.open(self):
		var started := Time.get_ticks_msec()
		var finished := await poll_until([], soak.step, 90.0)
		var seconds := (Time.get_ticks_msec() - started) / 1000.0
		check(finished, "every link finished")
		var totals: Array = soak.verify(self)
		check_eq(totals[0], 70, "70 links without a fault")
		print("       soak: %d messages echoed in %.1f s, %d unaffected links complete" % [totals[1], seconds, totals[0]])
	errors.uninstall()
	check_eq(errors.lines(), PackedStringArray(), "no error lines")
	check_eq(errors.warnings(), PackedStringArray(), "no warning lines, also for the aborted and dropped links")
