// The child process of the crash campaign (Tests/MMMReliabilityTests): appends a known sequence of
// events to a session and reports on standard output each flush that returned, until it is killed.
print("not written yet")
