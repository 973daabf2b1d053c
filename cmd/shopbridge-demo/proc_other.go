//go:build !linux

package main

import (
	"os/exec"
	"syscall"
)

// ownGroup puts a child in its own process group, so a Ctrl-C at the
// terminal reaches only the demo, which then stops the host before the
// sandboxes the host is still talking to.
func ownGroup(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// groupAlive reports whether process group pgid still has a process (zombies
// included: without /proc there is no cheap way to tell them apart).
func groupAlive(pgid int) []int {
	if syscall.Kill(-pgid, 0) == nil {
		return []int{pgid}
	}
	return nil
}
