"""Continue training, in PyTorch, a GPT-2 folder that chainlab's `savePretrained` wrote: the
hand-over for when a model outgrows one machine. One process per device under `torchrun`,
PyTorch's DistributedDataParallel averaging the gradients across them, so every process
ends each step with the same weights; process 0 writes the result as a folder that
`GPT2LMHeadModel.from_pretrained` and chainlab's `nn.GPT.fromPretrained` both read.

    # on CPUs (gloo): two processes on this machine
    torchrun --standalone --nproc_per_node 2 examples/continue_training_ddp.py \\
        --model out/gpt2 --ids out/ids.safetensors --out out/gpt2-ddp --steps 200
    # on GPUs (nccl): one process per GPU, the same script
    torchrun --standalone --nproc_per_node 8 examples/continue_training_ddp.py --model ... --backend nccl

The training text is token ids: `--ids` a safetensors file with a 1-D integer tensor "ids"
(chainlab: `io.saveSafetensors(path, { ids: tensor(tok.encode(text), { dtype: "int32" }) })`),
or `--text` a UTF-8 file encoded with the folder's tokenizer (vocab.json + merges.txt, which
chainlab's `BPETokenizer.savePretrained` writes). The last `--eval-windows` windows of the ids
are held out and scored before and after. Needs torch and transformers.
"""
import argparse
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="a GPT2LMHeadModel folder (config.json, model.safetensors)")
    ap.add_argument("--ids", help="safetensors file holding a 1-D integer tensor 'ids'")
    ap.add_argument("--text", help="a UTF-8 text file, encoded with the folder's tokenizer")
    ap.add_argument("--out", required=True, help="where process 0 writes the trained folder")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=8, help="sequences per process and step")
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--eval-windows", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", choices=["gloo", "nccl"], help="default: nccl with CUDA, else gloo")
    a = ap.parse_args()
    if (a.ids is None) == (a.text is None):
        ap.error("give the training ids with exactly one of --ids and --text")
    return a


def load_ids(a):
    if a.ids:
        from safetensors.torch import load_file
        tensors = load_file(a.ids)
        if "ids" not in tensors or tensors["ids"].dim() != 1:
            raise SystemExit(f"{a.ids}: expected a 1-D tensor named 'ids', found {list(tensors)}")
        return tensors["ids"].long()
    from transformers import GPT2TokenizerFast
    tokenizer = GPT2TokenizerFast.from_pretrained(a.model)
    with open(a.text, encoding="utf-8") as f:
        return torch.tensor(tokenizer(f.read())["input_ids"], dtype=torch.long)


def main():
    a = parse_args()
    from transformers import GPT2LMHeadModel

    backend = a.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local_rank) if backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)

    model = GPT2LMHeadModel.from_pretrained(a.model).to(device)
    context = min(a.context, model.config.n_positions - 1)
    ids = load_ids(a)
    held_len = a.eval_windows * (context + 1)
    if len(ids) < held_len + context + 2:
        raise SystemExit(f"{len(ids)} ids are too few for {a.eval_windows} held-out windows of {context + 1} and training")
    train, held = ids[:-held_len], ids[-held_len:].view(a.eval_windows, context + 1).to(device)
    vocab = model.config.vocab_size
    if int(ids.max()) >= vocab:
        raise SystemExit(f"token id {int(ids.max())} is outside the model's vocabulary of {vocab}")

    def held_out_loss():
        model.eval()
        with torch.no_grad():
            loss = model(input_ids=held, labels=held).loss.item()
        model.train()
        return loss

    before = held_out_loss()
    # GPT-2's causal masks are bool buffers, the same on every process, which gloo cannot
    # broadcast ("Invalid scalar type"): DistributedDataParallel leaves them alone
    masks = [name for name, b in model.named_buffers() if b.dtype == torch.bool]
    DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, masks)
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    opt = torch.optim.AdamW(ddp.parameters(), lr=a.lr, weight_decay=0.01)
    # each process reads its own random windows: together, world x batch sequences a step
    gen = torch.Generator().manual_seed(a.seed + rank)
    model.train()
    for step in range(1, a.steps + 1):
        starts = torch.randint(0, len(train) - context - 1, (a.batch,), generator=gen)
        x = torch.stack([train[s:s + context + 1] for s in starts.tolist()]).to(device)
        loss = ddp(input_ids=x, labels=x).loss  # transformers shifts the labels by one
        opt.zero_grad(set_to_none=True)
        loss.backward()  # DistributedDataParallel averages the gradients over the processes here
        torch.nn.utils.clip_grad_norm_(ddp.parameters(), 1.0)
        opt.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        if rank == 0 and (step == 1 or step % max(1, a.steps // 10) == 0 or step == a.steps):
            print(f"step {step}: training loss {mean.item() / world:.4f} (mean over {world} processes)", flush=True)

    # the same gradients every step keep the copies equal: check it before saving one of them
    total = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum().view(1)
    everyone = [torch.zeros_like(total) for _ in range(world)]
    dist.all_gather(everyone, total)
    after = held_out_loss()
    if rank == 0:
        agree = all(torch.equal(t, everyone[0]) for t in everyone)
        print(f"{world} processes ({backend}), weights equal on every process: {agree}")
        print(f"held-out loss ({a.eval_windows} windows of {context + 1} ids): {before:.4f} -> {after:.4f}")
        model.save_pretrained(a.out, safe_serialization=True)
        for name in ("vocab.json", "merges.txt", "tokenizer.json"):
            src = os.path.join(a.model, name)
            if os.path.exists(src):
                with open(src, "rb") as f, open(os.path.join(a.out, name), "wb") as g:
                    g.write(f.read())
        print(f"saved {a.out}")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
