"""Audio analysis of recorded calls: segments (ringback, IVR prompt, announcement, hold music,
voicemail greeting, live human, noise, silence) and the cross-call fingerprint library."""
