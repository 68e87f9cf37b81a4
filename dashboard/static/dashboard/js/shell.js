// Shell command lines the pages build for people to copy, as routing/engine/shell.py builds them
// on the server: every argument quoted exactly as Python's shlex.quote does, so a namespace
// `shop;id;#` stays one argument (it does not run `id`), plain names stay unquoted, and a command
// built here reads the same as one the API built (tests/pages/test_shell_js.py holds them equal).

// Characters that need no quoting (shlex's safe set: ASCII letters, digits, _@%+=:,./-).
const UNSAFE = /[^\w@%+=:,./-]/;

// One argument for a POSIX shell: as it is when plain, else in single quotes, each ' in it
// written as '"'"' (close the quotes, a double-quoted ', reopen them).
export function shellQuote(arg) {
  const text = String(arg);
  if (text === "") return "''";
  if (!UNSAFE.test(text)) return text;
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

// The argv as one line a POSIX shell splits back into exactly these arguments (shlex.join).
export function commandLine(argv) {
  return argv.map(shellQuote).join(" ");
}

// `kubectl -n NS patch service NAME --type merge -p PATCH`, quoted for a shell; `patch` is the
// merge patch as an object (written as compact JSON, as the server writes it).
export function kubectlPatchService(namespace, name, patch) {
  const argv = ["kubectl", "-n", namespace, "patch", "service", name, "--type", "merge"];
  return commandLine([...argv, "-p", JSON.stringify(patch)]);
}
