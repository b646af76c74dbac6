package elimityscim

// SetScanCount sets how many resources a filtered List asks GetAll for at
// a time, and returns the function that restores it.
func SetScanCount(n int) (restore func()) {
	old := scanCount
	scanCount = n
	return func() { scanCount = old }
}
