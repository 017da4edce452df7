package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ablate-ml/ablate/core/experiment"
)

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runEmit implements `ablate emit slurm|k8s FILE [key=value...]`.
func runEmit(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("emit", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	root := fs.String("root", defaultRoot(), "results root shared by all tasks")
	tasks := fs.Int("tasks", 0, "array tasks (shards); 0 means one per run")
	parallel := fs.Int("parallel", 0, "tasks running at once; 0 means no limit (slurm) or all (k8s)")
	cpus := fs.Int("cpus", 2, "CPUs per task")
	mem := fs.String("mem", "4G", "memory per task (slurm --mem; k8s limit, e.g. 4Gi)")
	jobName := fs.String("name", "", "job name; default ablate-<sweep>")
	ablate := fs.String("ablate", "ablate", "the ablate command on the cluster")
	image := fs.String("image", "ablate:latest", "k8s: container image holding ablate and the experiment")
	pvc := fs.String("pvc", "ablate-results", "k8s: PersistentVolumeClaim mounted at the results root")
	out := fs.String("o", "", "write here instead of standard output")
	plugins := fs.String("plugins", filepath.Join("bin", "plugins"), "directory of built-in plugin modules")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: ablate emit slurm|k8s FILE [key=value...] [--tasks N] [--root DIR] [-o FILE]")
		fs.PrintDefaults()
	}
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 || (pos[0] != "slurm" && pos[0] != "k8s") {
		return usagef("emit: want slurm or k8s, then an experiment file")
	}
	xenv, err := experimentEnv(*plugins)
	if err != nil {
		return err
	}
	file, overrides := pos[1], pos[2:]
	p, err := experiment.Load(ctx, file, overrides, xenv)
	if err != nil {
		return err
	}
	n := *tasks
	if n <= 0 || n > len(p.Runs) {
		n = len(p.Runs)
	}
	name := *jobName
	if name == "" {
		name = "ablate-" + strings.ReplaceAll(p.File.Name, "_", "-")
	}
	runArgs := []string{*ablate, "run", file}
	runArgs = append(runArgs, overrides...)
	runArgs = append(runArgs, "--root", *root)
	var quoted []string
	for _, a := range runArgs {
		quoted = append(quoted, shellQuote(a))
	}
	cmdline := strings.Join(quoted, " ")
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	switch pos[0] {
	case "slurm":
		arr := fmt.Sprintf("0-%d", n-1)
		if *parallel > 0 {
			arr += fmt.Sprintf("%%%d", *parallel)
		}
		fmt.Fprintf(w, `#!/bin/bash
# %s: %d runs of %s/%s in %d array tasks over the shared results root %s.
# Submit with: sbatch <this file>
#SBATCH --job-name=%s
#SBATCH --array=%s
#SBATCH --cpus-per-task=%d
#SBATCH --mem=%s
#SBATCH --output=slurm-%%A_%%a.out
set -euo pipefail
mkdir -p %s
exec %s --shard "${SLURM_ARRAY_TASK_ID}/%d" -j 1
`, name, len(p.Runs), p.Study.Name(), p.File.Name, n, *root, name, arr, *cpus, *mem,
			shellQuote(*root), cmdline, n)
	case "k8s":
		par := n
		if *parallel > 0 {
			par = min(*parallel, n)
		}
		var cmdJSON []string
		for _, a := range []string{"sh", "-c", cmdline + ` --shard "${JOB_COMPLETION_INDEX}/` + fmt.Sprint(n) + `" -j 1`} {
			cmdJSON = append(cmdJSON, fmt.Sprintf("%q", a))
		}
		fmt.Fprintf(w, `# %d runs of %s/%s as a Kubernetes Indexed Job of %d completions over a shared results volume.
# Apply with: kubectl apply -f <this file>
apiVersion: batch/v1
kind: Job
metadata:
  name: %s
spec:
  completionMode: Indexed
  completions: %d
  parallelism: %d
  backoffLimitPerIndex: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: ablate
          image: %q
          workingDir: /work
          command: [%s]
          resources:
            requests: {cpu: "%d", memory: %q}
            limits: {cpu: "%d", memory: %q}
          volumeMounts:
            - name: results
              mountPath: %q
      volumes:
        - name: results
          persistentVolumeClaim:
            claimName: %q
`, len(p.Runs), p.Study.Name(), p.File.Name, n, name, n, par, *image, strings.Join(cmdJSON, ", "),
			*cpus, k8sMem(*mem), *cpus, k8sMem(*mem), rootMount(*root), *pvc)
	}
	return nil
}

// k8sMem turns slurm-style sizes (4G) into Kubernetes quantities (4Gi).
func k8sMem(s string) string {
	if strings.HasSuffix(s, "G") || strings.HasSuffix(s, "M") {
		return s + "i"
	}
	return s
}

func rootMount(root string) string {
	if filepath.IsAbs(root) {
		return root
	}
	return "/work/" + filepath.ToSlash(root)
}
