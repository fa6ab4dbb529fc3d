"""The city simulator: a seeded stand-in for the departments of a city that deliver their exports to the landing zone, with the answer key the lakehouse is measured against."""
