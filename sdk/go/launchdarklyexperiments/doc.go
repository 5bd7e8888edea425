// LaunchDarkly experiments as code: create, run, stop and archive experiments through LaunchDarkly's REST API.
package launchdarklyexperiments
