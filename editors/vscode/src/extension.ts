// coder for VS Code: starts `coder lsp` and lets vscode-languageclient (11, LSP 3.18)
// drive it. Inline completion (ghost text) comes from the client's built-in
// textDocument/inlineCompletion support; accepting a suggestion runs the item's
// `coder.accepted` command, which the client forwards to the server
// (workspace/executeCommand), so `coder stats` counts it.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("coder");
  const settings: Record<string, unknown> = {
    context: config.get("context"),
    maxTokens: config.get("maxTokens"),
    grounding: config.get("grounding"),
    debounceMs: config.get("debounceMs"),
    typingDeadlineMs: config.get("typingDeadlineMs"),
    features: config.get("features"),
  };
  const model = config.get<string | null>("model");
  if (model) {
    settings.model = model;
  }
  return settings;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("coder").get<string>("command") || "coder";
  const serverOptions: ServerOptions = {
    command,
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    initializationOptions: serverSettings(),
    outputChannelName: "coder",
  };
  client = new LanguageClient("coder", "coder", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("coder") && client) {
        void client.sendNotification("workspace/didChangeConfiguration", { settings: { coder: serverSettings() } });
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
