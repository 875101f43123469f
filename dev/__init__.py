"""Development tools, never imported by the web app or a worker: the local LINE platform, a
terminal chat through it, and the demo school."""
