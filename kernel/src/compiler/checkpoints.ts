// A transform of cell code that turns every `await` and every loop iteration into an
// interruption checkpoint: an interrupted cell stops at its next checkpoint, even when it
// runs in the background after its promise was abandoned. The hooks it calls are the main
// thread's (cell-runner.ts), named in compiler-link.ts.
import type * as TS from "typescript";
import { awaitHook, tickHook } from "../shared/compiler-link";
import type { Ts } from "./typescript";

/**
 * Earlier cells' variables live on `exports`, and tslab rewrites references to them — but
 * not the shorthand `{ foo }`, whose name resolves to the new property. Spell those out as
 * `{ foo: exports.foo }`.
 */
function expandShorthand(ts: Ts, checker: TS.TypeChecker, f: TS.NodeFactory, n: TS.Node): TS.Node | undefined {
  if (!ts.isShorthandPropertyAssignment(n) || n.objectAssignmentInitializer) return undefined;
  const decls = checker.getShorthandAssignmentValueSymbol(n)?.declarations ?? [];
  if (!decls.some((d) => d.getSourceFile().fileName.endsWith("/__prev__.d.ts"))) return undefined;
  const name = n.name.text;
  return f.createPropertyAssignment(name, f.createPropertyAccessExpression(f.createIdentifier("exports"), name));
}

export function checkpointTransformer(ts: Ts, checker: TS.TypeChecker, context: TS.TransformationContext): TS.Transformer<TS.SourceFile> {
  const f = context.factory;
  const tick = () => f.createExpressionStatement(f.createCallExpression(f.createIdentifier(tickHook), undefined, []));
  const withTick = (body: TS.Statement): TS.Statement =>
    ts.isBlock(body) ? f.updateBlock(body, [tick(), ...body.statements]) : f.createBlock([tick(), body], true);
  const visit = (node: TS.Node): TS.Node => {
    const expanded = expandShorthand(ts, checker, f, node);
    if (expanded) return expanded;
    const n = ts.visitEachChild(node, visit, context);
    if (ts.isAwaitExpression(n)) {
      return f.updateAwaitExpression(n, f.createCallExpression(f.createIdentifier(awaitHook), undefined, [n.expression]));
    }
    if (ts.isForStatement(n)) return f.updateForStatement(n, n.initializer, n.condition, n.incrementor, withTick(n.statement));
    if (ts.isForOfStatement(n)) return f.updateForOfStatement(n, n.awaitModifier, n.initializer, n.expression, withTick(n.statement));
    if (ts.isForInStatement(n)) return f.updateForInStatement(n, n.initializer, n.expression, withTick(n.statement));
    if (ts.isWhileStatement(n)) return f.updateWhileStatement(n, n.expression, withTick(n.statement));
    if (ts.isDoStatement(n)) return f.updateDoStatement(n, withTick(n.statement), n.expression);
    return n;
  };
  return (sf) => (sf.isDeclarationFile || sf.fileName.includes("/node_modules/") ? sf : (ts.visitNode(sf, visit) as TS.SourceFile));
}
