package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/psafix/psafix/kio"
)

// exitProcess ends the process; a test replaces it.
var exitProcess = os.Exit

// onSignal makes SIGINT, SIGTERM and SIGHUP (a closed terminal) end the run cleanly: the temporary files of the writes
// under way are removed (a rename already started finishes, so every file is left as it was
// or fixed, never half-written), and psafix exits as the shell expects of a signal (128+N:
// 130, 143, 129). It returns the function that stops listening.
func onSignal(stderr io.Writer) (stop func()) {
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case s := <-sigs:
			kio.RemoveTemps()
			code := 130
			if n, ok := s.(syscall.Signal); ok {
				code = 128 + int(n)
			}
			fmt.Fprintf(stderr, "psafix: %v: stopped; the files written so far are whole, the others unchanged\n", s)
			exitProcess(code)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
