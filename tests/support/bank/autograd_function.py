"""Mistakes and alternatives for autograd_function.py."""

from support.grading_support import Edit

MISTAKES = [
    Edit('my_relu', 'autograd_function',
         '        ctx.save_for_backward(i)\n        return i.clamp_min(0.0)\n        ### END SOLUTION\n\n    @staticmethod\n    def backward(ctx: FunctionCtx, grad_output: Tensor) -> Tensor:\n        """Return the gradient with respect to `i`: `grad_output` where the\n        saved input was positive, zero elsewhere, in `grad_output`\'s dtype.\n\n        >>> x = torch.tensor([-2.0, 3.0], requires_grad=True)\n        >>> (MyRelu.apply(x) * torch.tensor([10.0, 10.0])).sum().backward()\n        >>> x.grad\n        tensor([ 0., 10.])\n        """\n        ### BEGIN SOLUTION\n        (i,) = ctx.saved_tensors\n',
         '        ctx.i = i\n        return i.clamp_min(0.0)\n        ### END SOLUTION\n\n    @staticmethod\n    def backward(ctx: FunctionCtx, grad_output: Tensor) -> Tensor:\n        """Return the gradient with respect to `i`: `grad_output` where the\n        saved input was positive, zero elsewhere, in `grad_output`\'s dtype.\n\n        >>> x = torch.tensor([-2.0, 3.0], requires_grad=True)\n        >>> (MyRelu.apply(x) * torch.tensor([10.0, 10.0])).sum().backward()\n        >>> x.grad\n        tensor([ 0., 10.])\n        """\n        ### BEGIN SOLUTION\n        i = ctx.i\n',
         'keeps the input as ctx.i instead of save_for_backward'),
    Edit('my_relu', 'autograd_function',
         '        return grad_output * (i > 0).to(grad_output.dtype)',
         '        grad_output[i <= 0] = 0\n        return grad_output',
         'backward zeroes grad_output in place and returns it'),
    Edit('my_relu', 'autograd_function',
         '        ctx.save_for_backward(i)\n        return i.clamp_min(0.0)',
         '        i[i < 0] = 0\n        ctx.save_for_backward(i)\n        return i',
         'forward zeroes the negatives of its input in place'),
    Edit('my_relu', 'autograd_function',
         '        return grad_output * (i > 0).to(grad_output.dtype)',
         '        return (grad_output * (i > 0)).float()',
         'backward casts the gradient to float32'),
    Edit('train_with_my_relu', 'autograd_function',
         '        out = MyRelu.apply(x @ w1 + b1) @ w2 + b2',
         '        out = torch.relu(x @ w1 + b1) @ w2 + b2',
         'torch.relu instead of MyRelu.apply'),
    Edit('train_with_my_relu', 'autograd_function',
         '        losses.append(loss.item())',
         '        losses.append(loss.detach())',
         'appends loss tensors, not Python floats'),
    Edit('train_with_my_relu', 'autograd_function',
         '        w = torch.randn(n_in, n_out, generator=generator, device=where, dtype=x.dtype)',
         '        w = torch.randn(n_in, n_out, device=where, dtype=x.dtype)',
         'ignores the generator'),
    Edit('train_with_my_relu', 'autograd_function',
         '                p -= lr * p.grad\n',
         '                p = p - lr * p.grad\n',
         'rebinds p = p - lr * p.grad: nothing is updated'),
    Edit('train_with_my_relu', 'autograd_function',
         '                p -= lr * p.grad\n',
         '                p -= 0.1 * p.grad\n',
         'hard-coded learning rate 0.1'),
    Edit('train_with_my_relu', 'autograd_function',
         '                p.grad.zero_()\n',
         '                pass\n',
         'never zeroes the gradients'),
    Edit('train_with_my_relu', 'autograd_function',
         '        w = torch.randn(n_in, n_out, generator=generator, device=where, dtype=x.dtype)',
         '        w = torch.randn(n_in, n_out, generator=generator, device=where)',
         "float32 weights whatever x's dtype"),
]

# Caught on a real GPU only (tests/gpu/check_cuda.py grades them there): the
# hidden suite trains on CUDA only where there is one, as simulated tensors
# cannot train.
CUDA_MISTAKES = [
    Edit('train_with_my_relu', 'autograd_function',
         '        w = torch.randn(n_in, n_out, generator=generator, device=where, dtype=x.dtype)\n'
         '        return (w.to(x.device) * math.sqrt(2 / n_in)).requires_grad_()',
         '        w = torch.randn(n_in, n_out, generator=generator, dtype=x.dtype)\n'
         '        return (w * math.sqrt(2 / n_in)).requires_grad_()',
         'torch.randn on the CPU in the weights\' init, whatever x\'s device'),
]

ALTERNATIVES = [
    Edit('my_relu', 'autograd_function',
         '        return i.clamp_min(0.0)',
         '        return torch.where(i > 0, i, torch.zeros_like(i))',
         'forward with torch.where'),
    Edit('my_relu', 'autograd_function',
         '        return grad_output * (i > 0).to(grad_output.dtype)',
         '        return torch.where(i > 0, grad_output, torch.zeros_like(grad_output))',
         'backward with torch.where'),
    Edit('train_with_my_relu', 'autograd_function',
         '        loss = (out.squeeze(-1) - y).pow(2).mean()\n        losses.append(loss.item())',
         '        loss = torch.nn.functional.mse_loss(out[:, 0], y)\n        losses.append(float(loss))',
         'F.mse_loss and float()'),
]
