"""The load side: the demo generator and its calibration, the schema and writer, bad input, atomic loads."""
