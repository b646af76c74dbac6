// Command juno is Juno Journey, a small learning platform that existed
// before SCIM, with scimkit added.
package main

import _ "modernc.org/sqlite"

func main() {}
