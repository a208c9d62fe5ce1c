"""Control of live recordings: pause, mute, keep, annotations."""
