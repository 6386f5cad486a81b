// Command nats-server is nats-server's own entry point (its main.go), built from the published server module:
// the same flags and configuration file, the same start-up and shutdown.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/nats-io/nats-server/v2/server"
)

const usageStr = `
Usage: nats-server [options]

The options are nats-server's own; the ones BDK's tests use:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -m, --http_port <port>           Use port for http monitoring
    -c, --config <file>              Configuration file
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory
    -D, --debug                      Enable debugging output
    -h, --help                       Show this message
    -v, --version                    Show version
`

func usage() {
	fmt.Printf("%s\n", usageStr)
	os.Exit(0)
}

func main() {
	exe := "nats-server"

	fs := flag.NewFlagSet(exe, flag.ExitOnError)
	fs.Usage = usage

	opts, err := server.ConfigureOptions(fs, os.Args[1:],
		server.PrintServerAndExit,
		fs.Usage,
		server.PrintTLSHelpAndDie)
	if err != nil {
		server.PrintAndDie(fmt.Sprintf("%s: %s", exe, err))
	} else if opts.CheckConfig {
		fmt.Fprintf(os.Stderr, "%s: configuration file %s is valid (%s)\n", exe, opts.ConfigFile, opts.ConfigDigest())
		os.Exit(0)
	}

	// Secret arguments (--pass, --auth) are redacted before expvar can publish the command line.
	server.RedactArgs(os.Args)

	s, err := server.NewServer(opts)
	if err != nil {
		server.PrintAndDie(fmt.Sprintf("%s: %s", exe, err))
	}
	s.ConfigureLogger()

	// Run blocks until the server is started; WaitForShutdown until a signal (or the monitoring API) stops it.
	if err := server.Run(s); err != nil {
		server.PrintAndDie(err.Error())
	}
	s.WaitForShutdown()
}
