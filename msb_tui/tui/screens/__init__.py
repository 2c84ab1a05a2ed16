"""The app's screens: graph (home), layers, history, troubleshoot, help, and small pickers."""
