// Command etcd is etcd's own server entry point, built at the version go.mod pins so that the
// kubetest package can start a throwaway etcd for the API server on loopback.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
