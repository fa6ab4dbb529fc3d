"""The landing zone: discovering the files the departments delivered (the simulator that writes them is ``simulator``)."""
