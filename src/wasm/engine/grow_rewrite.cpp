// The memory.grow rewrite (see grow_rewrite.hpp). Uses wabt's IR reader and binary writer.
#include "grow_rewrite.hpp"

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/binary-writer.h>
#include <wabt/cast.h>
#include <wabt/feature.h>
#include <wabt/ir.h>
#include <wabt/stream.h>

#include <iterator>
#include <memory>
#include <utility>

namespace traverse::wasm_internal {
namespace {

using wabt::Index;
using wabt::Location;
using wabt::Var;

struct GrowSite {
  wabt::ExprList* list;
  wabt::ExprList::iterator position;
};

// Every memory.grow in every function body, found without recursion (nesting depth is
// attacker-controlled).
std::vector<GrowSite> find_grow_sites(wabt::Module& module) {
  std::vector<GrowSite> sites;
  std::vector<wabt::ExprList*> pending;
  for (wabt::Func* func : module.funcs) {
    pending.push_back(&func->exprs);
  }
  while (!pending.empty()) {
    wabt::ExprList* list = pending.back();
    pending.pop_back();
    for (auto it = list->begin(); it != list->end(); ++it) {
      wabt::Expr* expr = &*it;
      switch (expr->type()) {
        case wabt::ExprType::Block:
          pending.push_back(&wabt::cast<wabt::BlockExpr>(expr)->block.exprs);
          break;
        case wabt::ExprType::Loop:
          pending.push_back(&wabt::cast<wabt::LoopExpr>(expr)->block.exprs);
          break;
        case wabt::ExprType::If: {
          auto* if_expr = wabt::cast<wabt::IfExpr>(expr);
          pending.push_back(&if_expr->true_.exprs);
          pending.push_back(&if_expr->false_);
          break;
        }
        case wabt::ExprType::Try: {
          auto* try_expr = wabt::cast<wabt::TryExpr>(expr);
          pending.push_back(&try_expr->block.exprs);
          for (wabt::Catch& catch_ : try_expr->catches) {
            pending.push_back(&catch_.exprs);
          }
          break;
        }
        case wabt::ExprType::MemoryGrow:
          sites.push_back(GrowSite{list, it});
          break;
        default:
          break;
      }
    }
  }
  return sites;
}

Index find_or_add_i32_to_i32_type(wabt::Module& module) {
  wabt::FuncSignature sig;
  sig.param_types = {wabt::Type::I32};
  sig.result_types = {wabt::Type::I32};
  Index index = module.GetFuncTypeIndex(sig);
  if (index != wabt::kInvalidIndex) {
    return index;
  }
  index = static_cast<Index>(module.types.size());
  auto field = std::make_unique<wabt::TypeModuleField>();
  auto type = std::make_unique<wabt::FuncType>();
  type->sig = sig;
  field->type = std::move(type);
  module.AppendField(std::move(field));
  return index;
}

Index add_flag_global(wabt::Module& module) {
  const auto index = static_cast<Index>(module.globals.size());
  auto field = std::make_unique<wabt::GlobalModuleField>();
  field->global.type = wabt::Type::I32;
  field->global.mutable_ = true;
  field->global.init_expr.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(0)));
  module.AppendField(std::move(field));
  return index;
}

// (func (param i32) (result i32) (local i32)
//   local.get 0  memory.grow  local.tee 1  i32.const -1  i32.eq
//   if  i32.const 1  global.set $flag  unreachable  end
//   local.get 1)
Index add_grow_helper(wabt::Module& module, Index type_index, Index flag_global) {
  const auto index = static_cast<Index>(module.funcs.size());
  const Location loc;
  auto field = std::make_unique<wabt::FuncModuleField>();
  wabt::Func& func = field->func;
  func.decl.has_func_type = true;
  func.decl.type_var = Var(type_index, loc);
  func.decl.sig.param_types = {wabt::Type::I32};
  func.decl.sig.result_types = {wabt::Type::I32};
  func.local_types.AppendDecl(wabt::Type::I32, 1);

  wabt::ExprList& body = func.exprs;
  body.push_back(std::make_unique<wabt::LocalGetExpr>(Var(0, loc)));
  body.push_back(std::make_unique<wabt::MemoryGrowExpr>(Var(0, loc)));
  body.push_back(std::make_unique<wabt::LocalTeeExpr>(Var(1, loc)));
  body.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(0xFFFFFFFFU)));
  body.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I32Eq));
  auto on_failure = std::make_unique<wabt::IfExpr>();
  on_failure->true_.exprs.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(1)));
  on_failure->true_.exprs.push_back(std::make_unique<wabt::GlobalSetExpr>(Var(flag_global, loc)));
  on_failure->true_.exprs.push_back(std::make_unique<wabt::UnreachableExpr>());
  body.push_back(std::move(on_failure));
  body.push_back(std::make_unique<wabt::LocalGetExpr>(Var(1, loc)));

  module.AppendField(std::move(field));
  return index;
}

}  // namespace

bool rewrite_memory_grow(std::string_view bytes, GrowRewrite* out, std::string* error) {
  *out = GrowRewrite{};
  wabt::Features features;
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  wabt::Module module;
  if (wabt::Failed(wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options, &errors,
                                      &module))) {
    *error = "memory.grow rewrite: cannot read module";
    if (!errors.empty()) {
      *error += ": " + errors.front().message;
    }
    return false;
  }
  std::vector<GrowSite> sites = find_grow_sites(module);
  if (sites.empty()) {
    return true;
  }
  for (const GrowSite& site : sites) {
    const auto* grow = wabt::cast<wabt::MemoryGrowExpr>(&*site.position);
    if (!grow->memidx.is_index() || grow->memidx.index() != 0) {
      *error = "memory.grow rewrite: only memory 0 is supported";
      return false;
    }
  }
  const Index type_index = find_or_add_i32_to_i32_type(module);
  const Index flag_global = add_flag_global(module);
  const Index helper = add_grow_helper(module, type_index, flag_global);
  for (GrowSite& site : sites) {
    const Location loc = site.position->loc;
    auto call =
        site.list->insert(site.position, std::make_unique<wabt::CallExpr>(Var(helper, loc), loc));
    site.list->erase(std::next(call));
  }

  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options;
  write_options.features = features;
  write_options.canonicalize_lebs = true;
  write_options.relocatable = false;
  write_options.write_debug_names = false;
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, write_options))) {
    *error = "memory.grow rewrite: cannot write module";
    return false;
  }
  out->rewritten = true;
  out->bytes = std::move(stream.output_buffer().data);
  out->flag_global = flag_global;
  return true;
}

}  // namespace traverse::wasm_internal
