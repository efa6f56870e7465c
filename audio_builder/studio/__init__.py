"""The teacher's studio: a local web app to write, hear, record, render and publish a
session, on the same pipeline and page code as the command line (`audio-builder studio`)."""
