"""What the client's campaign asks for: the scenario file and the call plans a dialer executes."""
