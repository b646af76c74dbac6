//go:build race

package sqlstore

// raceEnabled reports a -race build, so that the crash test builds the
// server the same way and reuses the packages already compiled.
const raceEnabled = true
